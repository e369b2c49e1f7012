"""The sandbox's URLs: the vendor's paths below /sandbox/."""

urlpatterns: list = []
