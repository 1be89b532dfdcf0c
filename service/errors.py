"""Domain errors. Each carries its HTTP status; one handler turns them into problem details (API)
or a readable Chinese page (web). Messages are Chinese: users read them."""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"
    title = "请求有误"

    def __init__(self, detail: str, *, field: str | None = None, extra: dict[str, object] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        # More members of the problem (e.g. a refused unit disabling's ``open_steps``).
        self.extra = extra


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "未找到"


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    title = "需要登录"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "无权操作"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "状态冲突"


class Invalid(DomainError):
    status = 422
    code = "invalid"
    title = "输入有误"


class BadDiagram(DomainError):
    status = 400
    code = "bad_diagram"
    title = "流程图有误"

    def __init__(self, detail: str, *, element: str | None = None, line: int | None = None) -> None:
        super().__init__(detail, field=element)
        self.element = element
        self.line = line


class TooLarge(DomainError):
    status = 413
    code = "too_large"
    title = "文件过大"


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"
    title = "请求过于频繁"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """The database cannot be reached (or stayed locked): nothing was done; try again."""

    status = 503
    code = "unavailable"
    title = "服务暂时不可用"


class NotInitialised(Unavailable):
    """The database has no tables yet (never migrated): nothing was done, and waiting will not help."""

    code = "not_initialised"
    title = "数据库尚未初始化"


NOT_INITIALISED = "数据库尚未初始化(没有数据表),请先运行 `duban db upgrade` 建立数据库结构"
