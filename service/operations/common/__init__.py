"""What every operation uses: who acts (actor), who may (authz), the audit trail, paging, lights, notices."""
