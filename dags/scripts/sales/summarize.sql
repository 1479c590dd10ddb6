-- Sales totals per region, counting only sales of at least the min_amount parameter.
-- `sales` is the step's input, already a view; the view `region_totals` becomes the output
-- of that name, written as Parquet.
CREATE VIEW region_totals AS
SELECT
    region,
    count(*) AS orders,
    sum(amount) AS total_amount,
    avg(amount) AS mean_amount
FROM sales
WHERE amount >= getvariable('min_amount')
GROUP BY region
ORDER BY region;
