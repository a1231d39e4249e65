from rest_framework.pagination import PageNumberPagination


class DefaultPagination(PageNumberPagination):
    """Page numbers are easier for an app list than offsets; page size is capped to protect the database."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
