// The households with a CONTACTS edge that is not live on the day (not valid on it, or from a member who
// cannot be reached), each with its home (h.home, kept by set_home; null when it has none), its figures,
// and every CONTACTS edge it has, live or not: the member, whether the edge is valid on the day, whether
// the member is available, and whether the edge ended before the day. Every other household with a
// CONTACTS edge has only live ones, which the caller counts from what it keeps a revision (contact_reach):
// a few thousand rows of a city, where the live contacts are tens of thousands.
// $day: ISO date; $unavailable: [member id] (what-if)
// returns: household, home, people, vulnerable, edges [[member, valid, available, ended]]
MATCH (m:Member)
WITH m, {available:m} AS available  // once a member, not once an edge: $unavailable is searched end to end
MATCH (m)-[c:CONTACTS]->(h:Household)
WHERE NOT (available AND {valid:c})
WITH DISTINCT h
MATCH (o:Member)-[l:CONTACTS]->(h)
RETURN h.id AS household, h.home AS home, coalesce(h.people, 1) AS people, coalesce(h.vulnerable, false) AS vulnerable,
       collect([o.id, {valid:l}, {available:o}, l.until IS NOT NULL AND l.until < $day]) AS edges
