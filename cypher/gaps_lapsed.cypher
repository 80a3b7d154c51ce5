// Lapsed households: CONTACTS edges exist, none is valid on the day, and at least one ended before it.
// $day: ISO date
// returns: household
MATCH (:Member)-[c:CONTACTS]->(h:Household)
WITH h,
     sum(CASE WHEN {valid:c} THEN 1 ELSE 0 END) AS valid,
     sum(CASE WHEN c.until IS NOT NULL AND c.until < $day THEN 1 ELSE 0 END) AS ended
WHERE valid = 0 AND ended > 0
RETURN h.id AS household
ORDER BY household
