"""Files people download, rendered from read models (``service/operations/queries``): the
ledger as an .xlsx workbook. Only the edges (API, pages, CLI) import them; operations never do."""
