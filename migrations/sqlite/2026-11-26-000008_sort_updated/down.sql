DROP INDEX articles_updated_sort_idx;
DROP INDEX articles_section_order_idx;
DROP INDEX articles_published_order_idx;
