import { Component, type ErrorInfo, type ReactNode } from 'react';
import { ProblemMessage } from './ProblemMessage.tsx';
import { asProblem } from './problem.ts';

interface Props {
  /** Names the part of the page that failed, e.g. "The forum". */
  area: string;
  children: ReactNode;
}

/**
 * Catches a render error in one feature so the rest of the page keeps working. (Failed API
 * calls are handled by each feature's own loading state; this is the last line of defence.)
 */
export class ErrorBoundary extends Component<Props, { error: unknown }> {
  override state: { error: unknown } = { error: null };

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  override componentDidCatch(_error: unknown, _info: ErrorInfo) {
    // Nothing to report to: the message on screen is the report.
  }

  override render() {
    if (this.state.error === null) return this.props.children;
    const problem = asProblem(this.state.error);
    return (
      <ProblemMessage
        problem={{ ...problem, title: `${this.props.area} stopped working` }}
        onRetry={() => this.setState({ error: null })}
      />
    );
  }
}
