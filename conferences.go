package apizee

// ConferencesService is placeholder: its methods come with the service's issue.
type ConferencesService service
