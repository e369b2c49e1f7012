"""Date and number formats per language (FORMAT_MODULE_PATH): what is not set here comes from Django's own."""
