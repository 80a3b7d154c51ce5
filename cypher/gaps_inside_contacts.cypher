// Cross-boundary contacts, second half: the contacts of sunk members with households inside an area
// (or within one) that an organization they sunk to governs, all on the day.
// $day: ISO date; $unavailable: [member id] (what-if)
// returns: member, household
MATCH (m:Member)-[s:SUNK_TO]->(:Org)-[g:GOVERNS]->(:Area)<-[:WITHIN*0..]-(:Area)<-[:LOCATED_IN]-(h:Household)<-[c:CONTACTS]-(m)
WHERE (s.since = '' OR s.since <= $day) AND (s.until IS NULL OR $day <= s.until) AND (g.since = '' OR g.since <= $day) AND (g.until IS NULL OR $day <= g.until) AND (c.since = '' OR c.since <= $day) AND (c.until IS NULL OR $day <= c.until)
RETURN DISTINCT m.id AS member, h.id AS household
