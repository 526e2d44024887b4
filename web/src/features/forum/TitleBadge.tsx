/**
 * The title the author bought in the titles shop, next to their name (from stage 04 on). The
 * forum leaves it out when the author owns none: callers render nothing then.
 *
 * The title is the server's text and is shown as text; screen readers hear that it is a title,
 * not part of the name.
 */
export function TitleBadge({ title }: { title: string }) {
  return (
    <span className="title-badge">
      <span className="visually-hidden">titled </span>
      {title}
    </span>
  );
}
