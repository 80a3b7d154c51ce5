// The members of a token's scope who serve outside what it may change (see orggraph.access.SERVES): a
// contact of, or a resident in, a household located outside its areas (or nowhere), an assignment to an
// area outside them, a post, membership or report (SUNK_TO) in an organization it may not change.
// $members: [member id] of the scope; $inside: [area id] within its areas; $orgs: [org id] it may change
// returns: member id
MATCH (m:Member)-[:CONTACTS|RESIDES_IN]->(h:Household)
WHERE m.id IN $members
OPTIONAL MATCH (h)-[:LOCATED_IN]->(a:Area)
WITH m, h, collect(a.id) AS places
WHERE size(places) = 0 OR any(p IN places WHERE NOT p IN $inside)
RETURN DISTINCT m.id AS id
UNION
MATCH (m:Member)-[:ASSIGNED_TO]->(a:Area)
WHERE m.id IN $members AND NOT a.id IN $inside
RETURN DISTINCT m.id AS id
UNION
MATCH (m:Member)-[:HOLDS_POST|MEMBER_OF|SUNK_TO]->(o:Org)
WHERE m.id IN $members AND NOT o.id IN $orgs
RETURN DISTINCT m.id AS id
