"""The browser lab: a static site that runs the engine in Pyodide inside a Web Worker.

    hvlab web build [--out DIR]    web.build: bundle, Pyodide, wheels, lessons -> a static site
    hvlab web serve [--port N]     web.serve: build, then serve it on 127.0.0.1

`web.bridge` is the worker's Python side (it runs inside Pyodide); the page's
sources are in `web/src` and `web/static`, the npm dependencies in `package.json`.
"""
