DROP INDEX articles_visibility_idx;
