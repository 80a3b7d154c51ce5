// The available post holders of some organizations on a day, for the caller to rank by post
// (orggraph.model.POSTS) and member id.
// $orgs: [org id]; $day: ISO date; $unavailable: [member id] (what-if)
// returns: org, post, member
UNWIND $orgs AS org_id
MATCH (o:Org {id: org_id})
WITH o  // start from the indexed org
MATCH (m:Member)-[p:HOLDS_POST]->(o)
WHERE {valid:p} AND {available:m}
RETURN DISTINCT o.id AS org, p.post AS post, m.id AS member
