"""The three roles, as Django groups (created with their permissions by migration 0003).

A centre administrator (a superuser) assigns people to groups in the admin. A patient's
access comes from their Patient record's `user` link; the Patient group only marks them.
"""

COORDINATOR = "Coordinator"
CLINIC_STAFF = "Clinic staff"
PATIENT = "Patient"
