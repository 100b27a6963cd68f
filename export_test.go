package apizee

// LenientServerPath is lenientServerPath, for the external tests.
var LenientServerPath = lenientServerPath
