// The query page: pick a stored query and fill its parameters, or write SPARQL; show the answer as a table.
// Every value from the server is put into the page as text (never as HTML), so data cannot inject markup.
"use strict";

const ACCEPT = "application/sparql-results+json, text/turtle;q=0.9";
const RESULT_DOWNLOADS = [["csv", "CSV"], ["tsv", "TSV"], ["json", "JSON"], ["xml", "XML"]];
const GRAPH_DOWNLOADS = [["turtle", "Turtle"], ["ntriples", "N-Triples"], ["jsonld", "JSON-LD"]];

const state = { queries: [], prefixes: {} };
const $ = (id) => document.getElementById(id);

function element(tag, properties = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, properties);
  for (const child of children) node.append(child);
  return node;
}

function compact(iri) {
  let best = null;
  for (const [prefix, namespace] of Object.entries(state.prefixes)) {
    if (iri.startsWith(namespace) && (best === null || namespace.length > best[1].length)) best = [prefix, namespace];
  }
  return best ? `${best[0]}:${iri.slice(best[1].length)}` : iri;
}

function selectedQuery() {
  return state.queries.find((query) => query.name === $("stored-name").value);
}

function showParameters(values = {}) {
  const query = selectedQuery();
  $("stored-description").textContent = query ? query.description : "";
  const holder = $("stored-parameters");
  holder.replaceChildren();
  if (!query) return;
  for (const parameter of query.parameters) {
    const input = element("input", {
      type: "text",
      name: parameter.name,
      id: `parameter-${parameter.name}`,
      value: values[parameter.name] ?? parameter.example ?? "",
      placeholder: parameter.example ?? "",
    });
    holder.append(
      element("div", { className: "parameter" }, [
        element("label", { htmlFor: input.id, textContent: parameter.name }),
        input,
        element("small", { textContent: parameter.description }),
      ]),
    );
  }
}

function setMode(mode) {
  for (const radio of document.querySelectorAll('input[name="mode"]')) radio.checked = radio.value === mode;
  $("stored-form").hidden = mode !== "stored";
  $("sparql-form").hidden = mode !== "sparql";
}

function storedUrl() {
  const query = selectedQuery();
  const params = new URLSearchParams();
  for (const input of $("stored-parameters").querySelectorAll("input")) params.append(input.name, input.value);
  const text = params.toString();
  return `/queries/${encodeURIComponent(query.name)}${text ? "?" + text : ""}`;
}

function sparqlUrl() {
  return "/sparql?" + new URLSearchParams({ query: $("sparql-text").value }).toString();
}

function withFormat(url, format) {
  return url + (url.includes("?") ? "&" : "?") + "format=" + format;
}

// A derivation's IRI names its triple (derivation:SUBJECT--PREDICATE--OBJECT, namespaces from /prefixes), so a
// derived row links to the stored query `derivation` for that subject and object: its steps down to the quotes.
function isDerivation(iri) {
  const namespace = state.prefixes.derivation;
  return Boolean(namespace) && iri.startsWith(namespace) && iri.slice(namespace.length).split("--").length === 3;
}

function explanationUrl(iri) {
  const entity = state.prefixes.entity;
  const [subject, , object] = iri.slice(state.prefixes.derivation.length).split("--");
  const params = new URLSearchParams({ stored: "derivation", subject: entity + subject, object: entity + object });
  return "/stored?" + params.toString();
}

function termCell(term) {
  const cell = element("td");
  if (!term) return cell;
  if (term.type === "uri" && isDerivation(term.value)) {
    cell.append(
      element("a", {
        href: explanationUrl(term.value),
        title: `why? the steps of ${term.value} down to the quotes`,
        textContent: "why? " + compact(term.value),
        className: "explanation",
      }),
    );
  } else if (term.type === "uri") {
    const link = element("a", {
      href: "/stored?describe=" + encodeURIComponent(term.value),
      title: `describe ${term.value}`,
      textContent: compact(term.value),
    });
    cell.append(link);
  } else if (term.type === "bnode") {
    cell.textContent = `_:${term.value}`;
  } else {
    // the language tag or datatype shows on hover, keeping the table readable
    cell.textContent = term.value;
    if (term["xml:lang"]) cell.title = `@${term["xml:lang"]}`;
    else if (term.datatype) cell.title = compact(term.datatype);
  }
  return cell;
}

function showTable(document_) {
  const variables = document_.head.vars;
  const header = element("tr", {}, variables.map((name) => element("th", { textContent: name })));
  const rows = document_.results.bindings.map((binding) =>
    element("tr", {}, variables.map((name) => termCell(binding[name]))),
  );
  $("results").replaceChildren(element("table", { id: "result-table" }, [element("thead", {}, [header]), element("tbody", {}, rows)]));
  return rows.length;
}

function showDownloads(url, formats, stem) {
  const links = formats.map(([format, label]) =>
    element("a", { href: withFormat(url, format), download: `${stem}.${format}`, textContent: label }),
  );
  $("downloads").replaceChildren("Download: ", ...links);
}

async function run(url, stem) {
  const status = $("status");
  status.className = "";
  status.textContent = "Running…";
  $("downloads").replaceChildren();
  $("results").replaceChildren();
  const started = performance.now();
  let response;
  try {
    response = await fetch(url, { headers: { Accept: ACCEPT } });
  } catch (error) {
    status.className = "error";
    status.textContent = `The server did not answer: ${error}`;
    return;
  }
  const milliseconds = Math.round(performance.now() - started);
  if (!response.ok) {
    status.className = "error";
    status.textContent = `${response.status} ${response.statusText}: ${(await response.text()).trim()}`;
    return;
  }
  const type = response.headers.get("Content-Type") || "";
  if (type.startsWith("application/sparql-results+json")) {
    const answer = await response.json();
    if ("boolean" in answer) {
      status.textContent = `Answer: ${answer.boolean ? "yes" : "no"} (${milliseconds} ms)`;
      return;
    }
    const count = showTable(answer);
    status.textContent = `${count} row${count === 1 ? "" : "s"} in ${milliseconds} ms`;
    showDownloads(url, RESULT_DOWNLOADS, stem);
  } else {
    const text = await response.text();
    $("results").replaceChildren(element("pre", { textContent: text }));
    status.textContent = `Graph result in ${milliseconds} ms`;
    showDownloads(url, GRAPH_DOWNLOADS, stem);
  }
}

function runStored() {
  const query = selectedQuery();
  if (!query) return;
  const url = storedUrl();
  history.replaceState(null, "", "/stored?" + new URLSearchParams({ stored: query.name, ...formValues() }).toString());
  run(url, query.name);
}

function formValues() {
  const values = {};
  for (const input of $("stored-parameters").querySelectorAll("input")) values[input.name] = input.value;
  return values;
}

async function start() {
  const [queries, prefixes] = await Promise.all([
    fetch("/queries").then((response) => response.json()),
    fetch("/prefixes").then((response) => response.json()),
  ]);
  state.queries = queries;
  state.prefixes = prefixes;
  const select = $("stored-name");
  for (const query of queries) select.append(element("option", { value: query.name, textContent: `${query.name} — ${query.title}` }));
  select.addEventListener("change", () => showParameters());
  for (const radio of document.querySelectorAll('input[name="mode"]')) radio.addEventListener("change", () => setMode(radio.value));
  $("stored-form").addEventListener("submit", (event) => {
    event.preventDefault();
    runStored();
  });
  $("sparql-form").addEventListener("submit", (event) => {
    event.preventDefault();
    run(sparqlUrl(), "query");
  });

  const asked = new URLSearchParams(location.search);
  if (asked.has("describe")) {
    select.value = "describe";
    showParameters({ entity: asked.get("describe") });
    runStored();
  } else if (asked.has("stored") && queries.some((query) => query.name === asked.get("stored"))) {
    select.value = asked.get("stored");
    const values = Object.fromEntries(asked.entries());
    delete values.stored;
    showParameters(values);
    runStored();
  } else if (asked.has("sparql")) {
    setMode("sparql");
    $("sparql-text").value = asked.get("sparql");
    run(sparqlUrl(), "query");
  } else {
    select.value = queries.some((query) => query.name === "symptoms") ? "symptoms" : queries[0]?.name;
    showParameters();
  }
  document.body.dataset.ready = "true";
}

start().catch((error) => {
  $("status").className = "error";
  $("status").textContent = `Could not load the stored queries: ${error}`;
});
