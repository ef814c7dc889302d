"use strict";
// The SPARQL editor: YASGUI, bundled in the package (no CDN), querying this endpoint, with one ready-to-run tab per
// stored query and the project's prefixes declared in each tab.

const FIRST_QUERY = `SELECT ?condition ?label WHERE {
  ?condition a nkg:Neuropathy ;
             rdfs:label ?label .
}
ORDER BY ?label`;

function declared(text, prefixes) {
  // Only the prefixes a query uses, so each tab shows what it needs and stays valid SPARQL for any client.
  const used = Object.keys(prefixes).filter((name) => new RegExp(`(^|[^\\w-])${name}:`).test(text));
  return used.map((name) => `PREFIX ${name}: <${prefixes[name]}>`).join("\n");
}

async function start() {
  const status = document.getElementById("status");
  const endpoint = new URL("/sparql", window.location.href).href;
  let prefixes;
  let queries;
  try {
    [prefixes, queries] = await Promise.all([
      fetch("/prefixes").then((response) => response.json()),
      fetch("/queries").then((response) => response.json()),
    ]);
  } catch (error) {
    status.textContent = `Cannot read the stored queries: ${error}`;
    return;
  }
  // Looking up classes and properties in LOV would send the query text to another site: complete locally only.
  Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];
  const yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    persistenceId: null,
    populateFromUrl: false,
    endpointCatalogueOptions: { getData: () => [{ endpoint }] },
    yasqe: { value: `${declared(FIRST_QUERY, prefixes)}\n\n${FIRST_QUERY}` },
  });
  const first = yasgui.getTab();
  first.setName("SPARQL");
  for (const query of queries) {
    const text = query.runnable || query.sparql;
    yasgui.addTab(false, { name: query.name, yasqe: { value: text }, requestConfig: { endpoint } });
  }
  document.body.dataset.ready = "true";
}

start();
