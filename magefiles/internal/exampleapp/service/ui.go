package service

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
)

//go:embed static
var staticFiles embed.FS

var pageTemplate = template.Must(template.ParseFS(staticFiles, "static/index.html"))

func (a *App) routeUI(mux *http.ServeMux) {
	// Render once: the page only varies by build and environment.
	var page bytes.Buffer
	if err := pageTemplate.Execute(&page, struct{ Version, Env string }{a.cfg.Version, a.cfg.Env}); err != nil {
		panic(err) // the template is embedded and fixed: this is a build bug
	}
	body := page.Bytes()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(body)
	})
	sub, _ := fs.Sub(staticFiles, "static")
	assets := http.StripPrefix("/static/", http.FileServerFS(sub))
	for _, name := range []string{"app.js", "app.css"} {
		mux.Handle("GET /static/"+name, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "public, max-age=300")
			assets.ServeHTTP(w, r)
		}))
	}
}
