package service

import (
	"bytes"
	"embed"
	"fmt"
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
	if a.opts.BreakJS != "" {
		js, err := fs.ReadFile(sub, "app.js")
		if err != nil {
			panic(err) // embedded: a build bug
		}
		broken := append([]byte(fmt.Sprintf("throw new Error(%q);\n", a.opts.BreakJS)), js...)
		mux.HandleFunc("GET /static/app.js", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			w.Header().Set("Cache-Control", "no-cache")
			_, _ = w.Write(broken)
		})
	}
	for _, name := range []string{"app.js", "app.css"} {
		if name == "app.js" && a.opts.BreakJS != "" {
			continue
		}
		mux.Handle("GET /static/"+name, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "public, max-age=300")
			assets.ServeHTTP(w, r)
		}))
	}
}
