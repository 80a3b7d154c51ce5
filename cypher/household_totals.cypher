// Every household counted: how many, how many people, how many vulnerable.
// returns: households, people, vulnerable
MATCH (h:Household)
RETURN count(h) AS households, sum(coalesce(h.people, 1)) AS people, sum(CASE WHEN h.vulnerable THEN 1 ELSE 0 END) AS vulnerable
