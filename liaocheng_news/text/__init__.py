"""Text handling shared by parsers, pipelines and the CLI.

normalise: the script normaliser (Traditional → Simplified, annotation and spam removal, page
debris repair) with its helpers script (OpenCC conversion only where needed), pinyin (reading
bracket contents against the characters before them) and layout (paragraph-level repairs).
fields: dates, bylines and print notes.
"""
