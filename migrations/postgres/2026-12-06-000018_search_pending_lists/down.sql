ALTER INDEX article_search_document_idx RESET (gin_pending_list_limit);
ALTER INDEX article_search_headline_idx RESET (gin_pending_list_limit);
