"""Reports for coordinators and funders: returns per programme and period, dashboard, charts, exports."""
