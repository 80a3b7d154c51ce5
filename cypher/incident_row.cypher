// One incident, without its call sheet.
// $id
MATCH (i:OrgGraphIncident {id: $id})
RETURN i.id, i.data, i.closed, i.closed_by
