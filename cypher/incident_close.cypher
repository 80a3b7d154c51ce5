// Close an open incident; one row if it was open.
// $id, $when (ISO time in UTC), $by
MATCH (i:OrgGraphIncident {id: $id})
WHERE i.closed IS NULL
SET i.closed = $when, i.closed_by = $by
RETURN i.id
