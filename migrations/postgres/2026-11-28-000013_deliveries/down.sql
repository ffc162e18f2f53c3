DROP INDEX article_related_related_idx;
DROP TABLE delivery_queue;
DROP TABLE article_deliveries;
