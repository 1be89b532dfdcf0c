"""Request and response schemas (marshmallow), one module per resource: what the API accepts and
returns, and what the OpenAPI document says it does. Input fields speak Chinese when they refuse a
value (``base.py``)."""
