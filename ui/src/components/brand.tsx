/** The product's name, on every page. */
export function Brand() {
  return (
    <div class="brand">
      <img src="/logo.png" alt="" width={28} height={28} />
      <span>Tallyvault</span>
    </div>
  );
}
