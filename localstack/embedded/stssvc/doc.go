// Package stssvc is the STS part of the embedded AWS stand-in: the query
// API's GetCallerIdentity (form-encoded POST, XML answer, SigV4 service
// name "sts"), answering as the account's root, which is who every caller
// of the stand-in is (signatures are not checked). deploy/lib.sh's
// preflight, like most deploy tooling, asks it which account it deploys
// to. Any other action is answered InvalidAction.
package stssvc
