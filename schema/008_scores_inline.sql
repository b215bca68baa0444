-- Score rows stay whole in their heap page, uncompressed: a row is about 1.7 KB (2.5 KB at
-- most with every reason filled), just over PostgreSQL's default threshold of about 2 KB
-- above which it tries to compress the row. That compression (pglz) was the largest single
-- cost of the database's side of a re-score, for little space saved. A larger row is still
-- compressed, then moved out of line, as before (docs/benchmarks.md, "Scoring").
ALTER TABLE scores SET (toast_tuple_target = 8160);
