// Covered households counted by the one area they are located in on every day (h.home), as
// households_per_area; the row with a null area counts the rest (the caller places them on the day).
// $day: ISO date; $unavailable: [member id] (what-if)
// returns: area, households, people, vulnerable
MATCH (m:Member)-[c:CONTACTS]->(h:Household)
WHERE {valid:c} AND {available:m}
WITH DISTINCT h
RETURN h.home AS area, count(h) AS households, sum(coalesce(h.people, 1)) AS people, sum(CASE WHEN h.vulnerable THEN 1 ELSE 0 END) AS vulnerable
