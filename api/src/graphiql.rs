//! `GET /graphiql`: the GraphiQL IDE, pointed at `/graphql`. Its JavaScript, CSS and React
//! are vendored in `api/assets/graphiql/` (versions in its README) and embedded in the
//! binary, so the page loads nothing from other hosts.

use axum::{
    Router,
    http::header,
    response::{Html, IntoResponse},
    routing::get,
};

/// The vendored GraphiQL version; the asset URLs carry it (`?v=`) so that long-cached copies
/// are dropped when it changes.
pub const VERSION: &str = "3.9.0";

/// Where the assets are served.
pub const ASSETS_PREFIX: &str = "/graphiql/assets/";

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// One embedded file: its name under [`ASSETS_PREFIX`], content type and bytes.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

/// Every file the page loads.
pub const ASSETS: &[Asset] = &[
    Asset {
        name: "graphiql.min.css",
        content_type: CSS,
        bytes: include_bytes!("../assets/graphiql/graphiql.min.css"),
    },
    Asset {
        name: "react.production.min.js",
        content_type: JS,
        bytes: include_bytes!("../assets/graphiql/react.production.min.js"),
    },
    Asset {
        name: "react-dom.production.min.js",
        content_type: JS,
        bytes: include_bytes!("../assets/graphiql/react-dom.production.min.js"),
    },
    Asset {
        name: "graphiql.min.js",
        content_type: JS,
        bytes: include_bytes!("../assets/graphiql/graphiql.min.js"),
    },
];

/// The HTML page (built once).
fn page_html() -> &'static str {
    static PAGE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PAGE.get_or_init(|| {
        let mut head = String::new();
        for asset in ASSETS {
            let url = format!("{ASSETS_PREFIX}{}?v={VERSION}", asset.name);
            if asset.content_type == CSS {
                head.push_str(&format!("    <link rel=\"stylesheet\" href=\"{url}\" />\n"));
            } else {
                head.push_str(&format!("    <script src=\"{url}\"></script>\n"));
            }
        }
        format!(
            r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Tekup Database — GraphiQL</title>
    <style>
      body {{ height: 100%; margin: 0; width: 100%; overflow: hidden; }}
      #graphiql {{ height: 100vh; }}
    </style>
{head}  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <script>
      // `/graphiql#token=<JWT or API key>` fills the Authorization header (the fragment
      // never reaches the server, so the token is not logged); the header can be edited
      // in the Headers pane.
      const token = new URLSearchParams(location.hash.slice(1)).get("token");
      const defaultHeaders = token
        ? JSON.stringify({{ Authorization: "Bearer " + token }}, null, 2)
        : undefined;
      if (token) history.replaceState(null, "", location.pathname);
      const fetcher = GraphiQL.createFetcher({{ url: "/graphql" }});
      const root = ReactDOM.createRoot(document.getElementById("graphiql"));
      root.render(
        React.createElement(GraphiQL, {{
          fetcher,
          defaultHeaders,
          shouldPersistHeaders: true,
          defaultEditorToolsVisibility: true,
        }}),
      );
    </script>
  </body>
</html>
"#
        )
    })
}

/// `GET /graphiql`.
pub async fn page() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-cache")], Html(page_html()))
}

/// The page and its assets, with any state type.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let mut router = Router::new().route("/graphiql", get(page));
    for asset in ASSETS {
        let (content_type, bytes) = (asset.content_type, asset.bytes);
        router = router.route(
            &format!("{ASSETS_PREFIX}{}", asset.name),
            get(move || async move {
                (
                    [
                        (header::CONTENT_TYPE, content_type),
                        (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                    ],
                    bytes,
                )
            }),
        );
    }
    router
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_references_every_asset_and_no_other_host() {
        let html = page_html();
        for asset in ASSETS {
            assert!(html.contains(&format!("{ASSETS_PREFIX}{}?v={VERSION}", asset.name)));
            assert!(!asset.bytes.is_empty());
        }
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(html.contains("\"/graphql\""));
    }
}
