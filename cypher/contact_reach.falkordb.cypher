// For each member with a CONTACTS edge, whatever its dates: how many households it contacts, and how many
// of those another member contacts too (each household once), as rows the caller adds up by member. The
// caller keeps them a revision and finds the load of a day from them and the households whose contacts
// are not all live (contacts_astray). Each member's edges are counted (its degree, no pairs made); only
// the households with more than one CONTACTS edge (indegree, read without walking them: a few hundred in
// a city) are walked, each (member, household) pair of them once: a pair of e edges gives 1 - e
// households (the edges counted once more than the household) and 1 shared when another member
// contacts the household too.
// returns: member, households, shared (several rows a member: the caller adds them up)
MATCH (m:Member)-[:CONTACTS]->(h:Household)
RETURN m.id AS member, count(h) AS households, 0 AS shared
UNION ALL
MATCH (h:Household)
WHERE indegree(h, 'CONTACTS') > 1
MATCH (m:Member)-[:CONTACTS]->(h)
WITH h, m, count(*) AS edges
WITH h, collect([m.id, edges]) AS pairs
UNWIND pairs AS pair
RETURN pair[0] AS member, 1 - pair[1] AS households, CASE WHEN size(pairs) > 1 THEN 1 ELSE 0 END AS shared
