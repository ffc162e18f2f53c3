DROP INDEX article_related_related_idx;
DROP TABLE delivery_queue;
DROP INDEX article_deliveries_render_key_idx;
DROP TABLE article_deliveries;
