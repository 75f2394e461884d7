"""liaocheng-news: a maintained archive of Liaocheng (聊城) local news."""

__version__ = "0.1.0"
