"""Every word the report shows, per language, in one place.

Vietnamese is the default: the report is for a Vietnamese shop owner. English (`--lang en`)
reads the same keys. A question without a translated title here falls back to the name and
description in its dashboard.json (English, as Metabase shows them), and a column without a
label to its own name, so a new question renders before anyone translates it.
"""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("vi", "en")
DEFAULT_LANGUAGE: Final = "vi"

UI: Final[dict[str, dict[str, str]]] = {
    "vi": {
        "title": "SME Pulse: báo cáo kinh doanh",
        "generated": "Lập lúc {when} từ kho dữ liệu {engine}.",
        "contents": "Mục lục",
        "business": "Kinh doanh",
        "data_health": "Sức khỏe dữ liệu",
        "data_health_missing": (
            "Các bảng sức khỏe dữ liệu chưa được xây dựng: chưa có câu hỏi nào trong "
            "ops/sme_pulse/questions/data_health."
        ),
        "question_failed": "Chưa trả lời được câu hỏi này (bảng chưa được xây dựng?): {error}",
        "chart_failed": "Không vẽ được biểu đồ: {error}",
        "as_of": "Dữ liệu bán hàng nạp lần cuối {loaded}; đơn hàng mới nhất ngày {latest}.",
        "as_of_macro": "Chỉ số vĩ mô nạp lần cuối {loaded}; năm mới nhất {latest}.",
        "as_of_unknown": "Không rõ dữ liệu được cập nhật lúc nào.",
        "show_table": "Bảng đầy đủ ({count} dòng)",
        "no_rows": "Không có dòng nào.",
        "other": "Khác",
        "local_time": "giờ Việt Nam",
    },
    "en": {
        "title": "SME Pulse: business report",
        "generated": "Generated {when} from the {engine} warehouse.",
        "contents": "Contents",
        "business": "Business",
        "data_health": "Data health",
        "data_health_missing": (
            "The data health tables are not built yet: there are no questions in "
            "ops/sme_pulse/questions/data_health."
        ),
        "question_failed": "This question has no answer yet (table not built?): {error}",
        "chart_failed": "The chart could not be drawn: {error}",
        "as_of": "Sales data last loaded {loaded}; latest order on {latest}.",
        "as_of_macro": "Macro indicators last loaded {loaded}; latest year {latest}.",
        "as_of_unknown": "When this data was last updated is unknown.",
        "show_table": "Full table ({count} rows)",
        "no_rows": "No rows.",
        "other": "Other",
        "local_time": "Vietnam time",
    },
}

QUESTIONS: Final[dict[str, dict[str, tuple[str, str]]]] = {
    "vi": {
        "revenue_by_province": (
            "Doanh thu thuần theo tỉnh của địa chỉ đơn",
            "Doanh thu thuần (₫, danh nghĩa) của các dòng đơn hoàn tất, sau chiết khấu, theo "
            "tỉnh sau sáp nhập 1/7/2025; tỉnh là địa chỉ trên đơn: của cửa hàng với POS, của "
            "người mua với đơn trực tuyến.",
        ),
        "revenue_by_province_month": (
            "Doanh thu thuần theo tỉnh và tháng",
            "Như trên, theo từng tháng, kể cả tháng không bán được (số 0); lịch sử theo mã "
            "tỉnh cũ được cộng vào tỉnh mới. Đơn của khách vãng lai không có mã khách hàng "
            "nên được đếm riêng.",
        ),
        "revenue_by_segment_channel": (
            "Doanh thu theo phân khúc khách hàng và kênh bán",
            "Doanh thu thuần (₫, danh nghĩa) của các dòng đơn hoàn tất, toàn bộ thời gian; "
            "phân khúc là hạng thành viên CRM hiện tại.",
        ),
        "customer_cohort_retention": (
            "Tỷ lệ giữ chân khách theo tháng mua đầu tiên",
            "Phần trăm khách của mỗi nhóm (tháng có đơn hoàn tất đầu tiên) mua lại N tháng "
            "sau; khách vãng lai không thuộc nhóm nào.",
        ),
        "growth_nominal_vs_real": (
            "Tăng trưởng doanh thu danh nghĩa và thực so với GDP",
            "Tăng trưởng doanh thu thuần (₫) cả nước so với năm trước: danh nghĩa, và sau "
            "khi trừ lạm phát CPI (thực); đánh dấu khi năm trước quá nhỏ để so sánh (nền "
            "nhỏ). Bên cạnh: tăng trưởng GDP theo USD hiện hành (danh nghĩa) và theo giá so "
            "sánh (thực) của Ngân hàng Thế giới; để trống khi chưa có số liệu.",
        ),
        "macro_indicators_yoy": (
            "Chỉ số vĩ mô theo năm",
            "Tăng trưởng GDP theo USD hiện hành (danh nghĩa) và theo giá so sánh (thực), lạm "
            "phát CPI và thất nghiệp của Việt Nam (%, Ngân hàng Thế giới); thay đổi của lạm "
            "phát và thất nghiệp tính bằng điểm phần trăm.",
        ),
        "top_products": (
            "Sản phẩm bán chạy nhất",
            "20 sản phẩm có doanh thu thuần (₫) cao nhất từ các dòng đơn hoàn tất, toàn bộ "
            "thời gian.",
        ),
        "data_as_of": (
            "Dữ liệu cập nhật đến",
            "Lần nạp cuối và ngày dữ liệu mới nhất của bán hàng và chỉ số vĩ mô.",
        ),
        "source_freshness": (
            "Độ mới của dữ liệu so với cam kết (SLA)",
            "Mỗi bảng bronze: lần nạp cuối, ngưỡng cảnh báo và lỗi của nguồn, số giờ kể từ "
            "lần nạp và kết luận (fresh: mới, warn: cảnh báo, stale: cũ).",
        ),
        "dbt_test_results": (
            "Kết quả kiểm thử dbt của các lần chạy gần nhất",
            "Mỗi kiểm thử dữ liệu: kết quả lần chạy mới nhất, số dòng lỗi, và số lần đạt "
            "trong các lần chạy gần nhất.",
        ),
        "quarantine_by_reason": (
            "Dòng bị cách ly theo lý do",
            "Các dòng bị loại khi nạp, theo bảng và mã lý do.",
        ),
        "quarantine_by_source_file": (
            "Dòng bị cách ly theo tệp nguồn",
            "Các dòng bị loại khi nạp, theo tệp xuất (bán hàng) hoặc ngày nạp (CRM, API).",
        ),
        "row_accounting": (
            "Đối soát số dòng",
            "Mọi dòng đọc vào đều được tính: đọc = nạp + cách ly cho mỗi tệp; chênh lệch "
            "khác 0 thì gold không được dựng lại.",
        ),
    },
}

COLUMNS: Final[dict[str, dict[str, str]]] = {
    "vi": {
        "province_name": "Tỉnh/thành (sau 1/7/2025)",
        "province_code": "Mã tỉnh",
        "order_month": "Tháng",
        "cohort_month": "Nhóm (tháng mua đầu)",
        "months_since_first": "Số tháng sau lần đầu",
        "cohort_customers": "Khách trong nhóm",
        "active_customers": "Khách mua lại",
        "retention_pct": "Giữ chân (%)",
        "customer_segment": "Phân khúc",
        "channel": "Kênh",
        "completed_orders": "Đơn hoàn tất",
        "identified_customers": "Khách hàng đã xác định",
        "guest_completed_orders": "Đơn khách vãng lai",
        "units_sold": "Số lượng bán",
        "net_revenue_vnd": "Doanh thu thuần (₫)",
        "year": "Năm",
        "year_start_date": "Năm",
        "months_with_sales": "Số tháng có bán",
        "net_revenue_nominal_growth_pct": "Tăng trưởng doanh thu danh nghĩa (%)",
        "net_revenue_real_growth_pct": "Tăng trưởng doanh thu thực (%)",
        "is_small_base": "Nền năm trước nhỏ",
        "inflation_cpi_pct": "Lạm phát CPI (%)",
        "inflation_cpi_change_pp": "Thay đổi lạm phát (điểm %)",
        "gdp_current_usd_growth_pct": "Tăng trưởng GDP, USD hiện hành (%)",
        "gdp_real_growth_pct": "Tăng trưởng GDP thực (%)",
        "unemployment_pct": "Thất nghiệp (%)",
        "unemployment_change_pp": "Thay đổi thất nghiệp (điểm %)",
        "sku": "Mã hàng",
        "product_name": "Sản phẩm",
        "category": "Nhóm hàng",
        "subject": "Dữ liệu",
        "last_loaded_at": "Nạp lần cuối",
        "latest_data_date": "Dữ liệu mới nhất",
        "rows_link": "Lệnh xem các dòng (sao chép)",
        "source_name": "Nguồn",
        "table_name": "Bảng",
        "warn_after": "Cảnh báo sau",
        "error_after": "Lỗi sau",
        "hours_since_load": "Số giờ từ lần nạp",
        "status": "Trạng thái",
        "checked_at": "Kiểm tra lúc",
        "test_name": "Kiểm thử",
        "last_run_started_at": "Lần chạy cuối",
        "last_status": "Kết quả cuối",
        "last_failures": "Số dòng lỗi",
        "runs_passed": "Số lần đạt",
        "runs_counted": "Số lần chạy",
        "source_table": "Bảng nguồn",
        "source_file": "Tệp nguồn",
        "reason": "Lý do",
        "quarantined_rows": "Dòng bị cách ly",
        "source": "Nguồn",
        "check_name": "Phép kiểm",
        "expected_rows": "Số dòng kỳ vọng",
        "actual_rows": "Số dòng thực tế",
        "difference": "Chênh lệch",
    },
    "en": {
        "province_name": "Province (after 1 July 2025)",
        "province_code": "Province code",
        "order_month": "Month",
        "cohort_month": "Cohort (first order month)",
        "months_since_first": "Months since first",
        "cohort_customers": "Cohort customers",
        "active_customers": "Returning customers",
        "retention_pct": "Retention (%)",
        "customer_segment": "Segment",
        "channel": "Channel",
        "completed_orders": "Completed orders",
        "identified_customers": "Identified customers",
        "guest_completed_orders": "Guest orders",
        "units_sold": "Units sold",
        "net_revenue_vnd": "Net revenue (VND)",
        "year": "Year",
        "year_start_date": "Year",
        "months_with_sales": "Months with sales",
        "net_revenue_nominal_growth_pct": "Revenue growth, nominal (%)",
        "net_revenue_real_growth_pct": "Revenue growth, real (%)",
        "is_small_base": "Small base",
        "inflation_cpi_pct": "CPI inflation (%)",
        "inflation_cpi_change_pp": "Inflation change (pp)",
        "gdp_current_usd_growth_pct": "GDP growth, current US$ (%)",
        "gdp_real_growth_pct": "Real GDP growth (%)",
        "unemployment_pct": "Unemployment (%)",
        "unemployment_change_pp": "Unemployment change (pp)",
        "sku": "SKU",
        "product_name": "Product",
        "category": "Category",
        "subject": "Data",
        "last_loaded_at": "Last loaded",
        "latest_data_date": "Latest data",
        "rows_link": "Command that shows the rows (copy it)",
        "source_name": "Source",
        "table_name": "Table",
        "warn_after": "Warn after",
        "error_after": "Error after",
        "hours_since_load": "Hours since load",
        "status": "Status",
        "checked_at": "Checked at",
        "test_name": "Test",
        "last_run_started_at": "Last run",
        "last_status": "Last result",
        "last_failures": "Failing rows",
        "runs_passed": "Runs passed",
        "runs_counted": "Runs counted",
        "source_table": "Source table",
        "source_file": "Source file",
        "reason": "Reason",
        "quarantined_rows": "Quarantined rows",
        "source": "Source",
        "check_name": "Check",
        "expected_rows": "Expected rows",
        "actual_rows": "Actual rows",
        "difference": "Difference",
    },
}

VALUES: Final[dict[str, dict[str, str]]] = {
    "vi": {
        "pos": "Tại cửa hàng (POS)",
        "website": "Website",
        "shopee": "Shopee",
        "lazada": "Lazada",
        "tiktok_shop": "TikTok Shop",
        "member": "Thành viên",
        "silver": "Bạc",
        "gold": "Vàng",
        "platinum": "Bạch kim",
        "no_tier": "Chưa xếp hạng",
        "not_in_crm": "Chưa có trong CRM",
        "guest": "Khách vãng lai",
        "sales": "Bán hàng",
        "macro": "Chỉ số vĩ mô",
        "true": "có",
        "false": "không",
    },
    "en": {
        "pos": "In store (POS)",
        "website": "Website",
        "shopee": "Shopee",
        "lazada": "Lazada",
        "tiktok_shop": "TikTok Shop",
        "member": "Member",
        "silver": "Silver",
        "gold": "Gold",
        "platinum": "Platinum",
        "no_tier": "No tier",
        "not_in_crm": "Not in the CRM",
        "guest": "Walk-in guest",
        "sales": "Sales",
        "macro": "Macro indicators",
        "true": "yes",
        "false": "no",
    },
}
TRANSLATED_COLUMNS: Final = frozenset({"channel", "customer_segment", "subject", "is_small_base"})
"""Columns whose codes (`tiktok_shop`, `not_in_crm`, a flag's `true`) are shown as words
from VALUES."""
PERIODS: Final = {
    "vi": {"minute": "phút", "hour": "giờ", "day": "ngày"},
    "en": {"minute": "minute(s)", "hour": "hour(s)", "day": "day(s)"},
}
SLA_COLUMNS: Final = frozenset({"warn_after", "error_after"})
"""Columns holding a dbt freshness period as the sources yml spells it (`2 day`)."""


def text(lang: str, key: str, **values: object) -> str:
    return UI[lang][key].format(**values)


def column_label(lang: str, column: str) -> str:
    return COLUMNS[lang].get(column, column)


def value_label(lang: str, column: str, value: str) -> str:
    if column in SLA_COLUMNS:
        count, _, period = value.partition(" ")
        return f"{count} {PERIODS[lang].get(period, period)}"
    if column not in TRANSLATED_COLUMNS:
        return value
    return VALUES[lang].get(value, value)


def question_text(lang: str, key: str, name: str, description: str) -> tuple[str, str]:
    """Title and description of a question; dashboard.json's (English) when untranslated."""
    return QUESTIONS.get(lang, {}).get(key, (name, description))
