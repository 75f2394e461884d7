"""Scrapy commands of the project (``COMMANDS_MODULE``): ``crawl`` with truthful exit statuses."""
