"""The demo: its logins and documents (`manage.py load_demo`) and the demo server with a worker (`manage.py rundemo`).

It sits above every other app (it fills returns and settlements alike); nothing imports it.
"""
