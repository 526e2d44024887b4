import type { Problem } from './problem.ts';

interface ProblemMessageProps {
  problem: Problem;
  onRetry?: () => void;
}

/**
 * Shows an API problem in plain words: its title, its detail, and any field errors. Text goes
 * through React's escaping like everything else; the server's words are never parsed as HTML.
 */
export function ProblemMessage({ problem, onRetry }: ProblemMessageProps) {
  return (
    <div className="problem" role="alert">
      <p className="problem__title">{problem.title}</p>
      {problem.detail ? <p className="problem__detail">{problem.detail}</p> : null}
      {problem.errors && problem.errors.length > 0 ? (
        <ul className="problem__errors">
          {problem.errors.map((fieldError) => (
            <li key={`${fieldError.path}:${fieldError.message}`}>
              {fieldError.path ? <strong>{fieldError.path}: </strong> : null}
              {fieldError.message}
            </li>
          ))}
        </ul>
      ) : null}
      {onRetry ? (
        <button type="button" className="button button--small" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}
