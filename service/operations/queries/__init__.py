"""Read models: inbox, human-task detail, cycle views, key tasks, ledger, dashboard, audit log. They never write."""
