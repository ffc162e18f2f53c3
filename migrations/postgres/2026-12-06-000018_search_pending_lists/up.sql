-- A GIN index keeps new entries in a pending list until it holds 4 MB (the
-- default), and every search reads the whole list before the index: at
-- 20,000 articles the headlines' list held all 20,000 of them (434 pages),
-- and a search spent 6.6 ms of the server's time, two thirds of it reading
-- the lists. Capped at 64 kB, an insert that fills a list merges it into
-- the index, so a search reads a few pages of it at most (2.3 ms).
ALTER INDEX article_search_document_idx SET (gin_pending_list_limit = 64);
ALTER INDEX article_search_headline_idx SET (gin_pending_list_limit = 64);
