// TLS-reporting results (RFC 8460) as JSON objects, from the component's `tls-report` export.

/** The RFC 8460 JSON objects of `results`, from the component's `tls-report` export. */
export async function tlsrptJson(host, results) {
  const texts = (await host.call((e) => e.tlsReport.toJson(results))).ok;
  return texts.flatMap((text) => {
    try {
      return [JSON.parse(text)];
    } catch {
      return [];
    }
  });
}
