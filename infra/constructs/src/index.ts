export { CourseVpc, type CourseVpcProps } from './course-vpc.ts';
export { applyCourseNagChecks } from './nag.ts';
export { NodeAppHost, type NodeAppHostProps } from './node-app-host.ts';
export { PostgresDatabase, type PostgresDatabaseProps } from './postgres-database.ts';
