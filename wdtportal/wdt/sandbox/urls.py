"""The sandbox's URLs: the vendor's paths below /sandbox/."""

from django.urls import path

from . import views

app_name = "wdt_sandbox"

urlpatterns = [
    path("openapi", views.qjb_openapi, name="openapi"),
    path("openapi2/purchase_return_order_push.php", views.enterprise_purchase_return_order_push,
         name="purchase_return_order_push"),
    path("openapi2/<path:endpoint>", views.enterprise_unknown_endpoint, name="openapi2_unknown"),
]
