package apizee

// MediaService is placeholder: its methods come with the service's issue.
type MediaService service
