-- List orders that stay index-only whatever the planner's statistics say:
-- newest first overall and per section (status is checked on the way), and
-- by the update time shown to readers (`sort=-updated_at`; the expression
-- must match the query's ORDER BY exactly).
CREATE INDEX articles_published_order_idx ON articles (published_at DESC, id DESC);
CREATE INDEX articles_section_order_idx ON articles (section_id, published_at DESC, id DESC);
CREATE INDEX articles_updated_sort_idx
    ON articles ((COALESCE(updated_at, published_at, modified_at)) DESC, id DESC);
