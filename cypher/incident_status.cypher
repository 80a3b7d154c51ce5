// Whether each household has an available contact on the day, and what the call sheet shows of it.
// $households: [household id]; $day: ISO date; $unavailable: [member id] (what-if)
// returns: household, covered, vulnerable, people
UNWIND $households AS household_id
MATCH (h:Household {id: household_id})
OPTIONAL MATCH (m:Member)-[c:CONTACTS]->(h)
WHERE {valid:c} AND {available:m}
RETURN h.id AS household, count(m) > 0 AS covered, coalesce(h.vulnerable, false) AS vulnerable,
       coalesce(h.people, 1) AS people
