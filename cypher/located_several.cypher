// The households with LOCATED_IN edges but no h.home (kept by set_home: they have several edges, or one
// that is dated), with each edge's area and dates, and their figures: the caller keeps them a revision
// and picks the edges valid on a day.
// returns: household, areas [[area id, since ('' when open), until (null when open)]], people, vulnerable
MATCH (h:Household)
WHERE h.homes > 0 AND h.home IS NULL
MATCH (h)-[r:LOCATED_IN]->(a:Area)
RETURN h.id AS household, collect([a.id, r.since, r.until]) AS areas, coalesce(h.people, 1) AS people,
       coalesce(h.vulnerable, false) AS vulnerable
