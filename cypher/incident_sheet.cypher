// One incident's call sheet (compressed JSON, in base64).
// $id
MATCH (i:OrgGraphIncident {id: $id})
RETURN i.sheet
