package fakeaws

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
)

// serveSTS answers the awsQuery protocol (form in, XML out) of STS; only
// GetCallerIdentity, which needs no permission.
func (f *Fake) serveSTS(w http.ResponseWriter, r *http.Request, body []byte, reqID string) {
	form, err := url.ParseQuery(string(body))
	action := form.Get("Action")
	if err != nil || action == "" {
		writeQueryError(w, reqID, "InvalidAction", "missing Action")
		return
	}
	if f.record("sts:" + action) {
		writeQueryError(w, reqID, "Throttling", "Rate exceeded")
		return
	}
	if action != "GetCallerIdentity" {
		writeQueryError(w, reqID, "InvalidAction", "unsupported action "+action)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:sts::%[1]s:assumed-role/equiptrack-deploy/release</Arn>
    <UserId>AROAFAKE:release</UserId>
    <Account>%[1]s</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>%[2]s</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>`, html.EscapeString(f.o.Account), reqID)
}

func writeQueryError(w http.ResponseWriter, reqID, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
		html.EscapeString(code), html.EscapeString(msg), reqID)
}
